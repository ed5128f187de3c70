"""Export wrapper of SpatialEmbeddings: the network in the graph, the
greedy clustering after the session."""
from typing import Tuple

from torch import Tensor

from .base import DeployWrapper, register_wrapper


@register_wrapper('SpatialEmbeddings')
class SpatialEmbeddingsWrapper(DeployWrapper):
    """Backbone, neck and the two decoders of :class:`SpatialEmbeddingHead`.

    Output: ``pred`` (1, 2 + n_sigma + C, H, W), the head's raw output
    (offsets, bandwidths, seed logits). The clustering is data-dependent
    (a loop over seeds) and stays outside the graph: the runtime calls the
    head's own ``predict_by_feat`` on it, the code PyTorch runs.
    """
    output_names = ('pred', )
    mask_kind = 'clustering'

    def forward(self, img: Tensor, img_shape: Tensor) -> Tuple[Tensor, ...]:
        model = self.model
        return model.mask_head(model.extract_feat(img))
