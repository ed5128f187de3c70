"""Run an exported ``.onnx`` detector with ONNX Runtime and get mmdet's
``DetDataSample`` back."""
import copy
import json
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.structures import InstanceData

from .export import METADATA_KEY
from .postprocess import POSTPROCESS


def _test_pipeline(cfg: Config) -> list:
    """The config's test pipeline without annotation loading."""
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    return [copy.deepcopy(t) for t in dataset.pipeline
            if t['type'] not in ('LoadAnnotations', 'mmdet.LoadAnnotations')]


class ONNXRuntimeDetector:
    """A detector exported by ``tools/deployment/export_onnx.py``, run by
    ONNX Runtime on the CPU.

    It applies the config's test pipeline (resize) and data preprocessor
    (normalise, pad), runs the session and post-processes the outputs
    (:mod:`.postprocess`; SpatialEmbeddings' clustering is the head's own
    ``predict_by_feat``), returning ``DetDataSample`` s whose
    ``pred_instances`` hold ``bboxes``, ``scores``, ``labels`` and ``masks``
    at the original image size, as the PyTorch model's ``predict``.

    Args:
        config (str | Config): The model's config (its test pipeline, data
            preprocessor and, for SpatialEmbeddings, clustering settings).
        onnx_file (str): The exported model.
        num_threads (int, optional): ONNX Runtime intra-op threads (default:
            ONNX Runtime's choice).

    Example:
        >>> det = ONNXRuntimeDetector('configs/mask_rcnn/x.py', 'x.onnx')
        >>> sample = det('demo.jpg')
        >>> sample.pred_instances.masks.shape
    """

    def __init__(self,
                 config: Union[str, Config],
                 onnx_file: str,
                 num_threads: Optional[int] = None) -> None:
        import onnxruntime as ort

        from mmseginst.registry import MODELS
        from mmseginst.utils import register_all_modules
        register_all_modules(init_default_scope=True)
        self.cfg = Config.fromfile(config) if isinstance(config, str) \
            else config
        options = ort.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            onnx_file, options, providers=['CPUExecutionProvider'])
        props = self.session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in props:
            raise ValueError(f'{onnx_file} was not exported by mmseginst '
                             '(no export metadata): export it with '
                             'tools/deployment/export_onnx.py')
        self.info = json.loads(props[METADATA_KEY])
        model_type = self.cfg.model.type.split('.')[-1]
        if self.info['detector'] != model_type:
            raise ValueError(
                f'{onnx_file} holds a {self.info["detector"]} model but the '
                f'config builds a {model_type}: pass the config it was '
                'exported from')
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.preprocessor = MODELS.build(self.cfg.model.data_preprocessor)
        self.pipeline = Compose(_test_pipeline(self.cfg))
        self.head = None
        if self.info['mask_kind'] == 'clustering':
            # the clustering the PyTorch model runs, from the same code
            self.head = MODELS.build(
                dict(self.cfg.model.mask_head,
                     test_cfg=self.cfg.model.get('test_cfg')))
        elif self.info['mask_kind'] not in POSTPROCESS:
            raise ValueError(f'{onnx_file}: unknown mask_kind '
                             f'{self.info["mask_kind"]!r}')

    def __call__(self, imgs: Union[str, np.ndarray, Sequence]
                 ) -> Union[DetDataSample, List[DetDataSample]]:
        """Detect in image paths or BGR arrays (one or a list)."""
        single = not isinstance(imgs, (list, tuple))
        batch = []
        for i, img in enumerate([imgs] if single else imgs):
            if isinstance(img, np.ndarray):
                pipeline = Compose([dict(type='mmdet.LoadImageFromNDArray')] +
                                   self.pipeline.transforms[1:])
                batch.append(pipeline(dict(img=img, img_id=i)))
            else:
                batch.append(self.pipeline(dict(img_path=img, img_id=i)))
        samples = self.predict(pseudo_collate(batch))
        return samples[0] if single else samples

    def predict(self, data: dict) -> List[DetDataSample]:
        """Detect in a collated batch of the test pipeline (what a test
        dataloader yields); images run through the session one by one."""
        data = self.preprocessor(data, False)
        inputs, samples = data['inputs'], data['data_samples']
        for i, sample in enumerate(samples):
            sample.pred_instances = self.run(inputs[i:i + 1], sample.metainfo)
        return samples

    def run(self, inputs: torch.Tensor, meta: dict) -> InstanceData:
        """One preprocessed image ``(1, 3, H, W)`` -> results."""
        outs = self.session.run(None, self.feeds(inputs, meta))
        return self.postprocess(outs, inputs, meta)

    def feeds(self, inputs: torch.Tensor, meta: dict) -> dict:
        """The session's inputs for one preprocessed image."""
        shape = self.info['shape']
        if shape is not None and list(inputs.shape[2:]) != list(shape):
            raise ValueError(
                f'this {self.info["detector"]} ONNX model was exported for '
                f'inputs of {shape[0]}x{shape[1]} (static shape) but the '
                f'preprocessed image is {inputs.shape[2]}x{inputs.shape[3]}:'
                ' export with --dynamic or --shape '
                f'{inputs.shape[2]} {inputs.shape[3]}')
        feeds = dict(
            input=inputs.numpy().astype(np.float32),
            img_shape=np.array(meta['img_shape'][:2], dtype=np.float32))
        return {k: v for k, v in feeds.items() if k in self.input_names}

    def postprocess(self, outs: list, inputs: torch.Tensor,
                    meta: dict) -> InstanceData:
        """The session's outputs -> ``InstanceData`` at the original size."""
        outs = {k: torch.from_numpy(v)
                for k, v in zip(self.info['outputs'], outs)}
        if self.head is not None:
            meta = dict(meta, batch_input_shape=tuple(inputs.shape[2:]))
            return self.head.predict_by_feat(outs['pred'], [meta],
                                             rescale=True)[0]
        return POSTPROCESS[self.info['mask_kind']](outs, meta, self.info)
