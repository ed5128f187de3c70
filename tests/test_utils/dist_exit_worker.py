"""One rank of a two-process gloo job with the tools' distributed life cycle.

Run by tests/test_utils/test_dist_utils.py with RANK, WORLD_SIZE, MASTER_ADDR
and MASTER_PORT set: the process group is created by
``setup_cpu_distributed`` (as tools/train.py and tools/test.py do), the
collectives that end a run are issued (results gathered with
``all_gather_object``, metrics broadcast with ``broadcast_object_list``, a
barrier), and the process exits normally, inside ``process_group_teardown``
unless ``--no-teardown`` is given.

``mmseginst/utils/dist_utils.py`` is loaded from its file so that a process
costs the import of torch and mmengine's config only (the package's
``__init__`` also imports mmcv's compiled ops and mmdet): the stress test
launches many of them.
"""
import importlib.util
import os.path as osp
import sys

import torch
import torch.distributed as dist
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'dist_utils', osp.join(REPO, 'mmseginst', 'utils', 'dist_utils.py'))
dist_utils = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dist_utils)


def work() -> None:
    dist_utils.setup_cpu_distributed(Config(dict()), 'pytorch')
    total = torch.ones(8)
    dist.all_reduce(total)
    assert total[0].item() == dist.get_world_size()
    gathered = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, {'rank': dist.get_rank()})
    metrics = [{'coco/segm_mAP': 0.5} if dist.get_rank() == 0 else None]
    dist.broadcast_object_list(metrics, src=0)
    dist.barrier()


if __name__ == '__main__':
    if '--no-teardown' in sys.argv:
        work()
    else:
        with dist_utils.process_group_teardown():
            work()
