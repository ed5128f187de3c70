"""Spatial attention-guided mask head (SAG-Mask) of CenterMask."""
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from torch import Tensor, nn

from ....registry import MODELS


@MODELS.register_module()
class SAGMaskHead(FCNMaskHead):
    """SAG-Mask: Mask R-CNN's FCN mask head with a spatial attention module
    (SAM) between the convs and the upsampling (CenterMask, Sec. 3.4).

    Shapes, for ``R`` RoIs:

    * RoI features ``(R, C_in, 14, 14)`` (RoIAlign on P3-P5);
    * ``num_convs`` x (3x3 conv, ``conv_out_channels``, ReLU, no norm):
      4 x 256 in CenterMask, 2 x 128 in CenterMask-Lite;
    * SAM (:class:`~mmseginst.models.layers.SpatialAttention`):
      ``(R, C, 14, 14)`` -> same shape, re-weighted per pixel;
    * 2x2 deconv, stride 2, ReLU -> ``(R, C, 28, 28)``;
    * 1x1 conv -> class-specific logits ``(R, num_classes, 28, 28)``.

    Targets (GT masks crop-and-resized to 28x28 on positive RoIs) and the
    per-pixel BCE on the GT class are mmdet's :class:`FCNMaskHead`'s.

    Args:
        with_sam (bool): Insert SAM (False gives Mask R-CNN's head, the
            "w/o SAM" ablation). Defaults to True.
        sam_kernel_size (int): SAM conv kernel. Defaults to 3.
        predictor_std (float): Std of the normal init of the 1x1 logits
            conv (0.001 in the official code, mmdet uses Kaiming).
        **kwargs: :class:`FCNMaskHead` arguments (``num_convs``,
            ``in_channels``, ``conv_out_channels``, ``num_classes``, ...).
    """

    def __init__(self,
                 with_sam: bool = True,
                 sam_kernel_size: int = 3,
                 predictor_std: float = 0.001,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.predictor_std = predictor_std
        self.sam = MODELS.build(
            dict(type='SpatialAttention',
                 kernel_size=sam_kernel_size)) if with_sam else None

    def init_weights(self) -> None:
        super().init_weights()
        if isinstance(self.conv_logits, nn.Conv2d):
            nn.init.normal_(self.conv_logits.weight, std=self.predictor_std)
            nn.init.constant_(self.conv_logits.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        """``(R, C_in, 14, 14)`` RoI features -> ``(R, K, 28, 28)`` logits."""
        for conv in self.convs:
            x = conv(x)
        if self.sam is not None:
            x = self.sam(x)
        if self.upsample is not None:
            x = self.upsample(x)
            if self.upsample_method == 'deconv':
                x = self.relu(x)
        return self.conv_logits(x)
