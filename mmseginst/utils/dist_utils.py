"""Distributed launch on machines without a GPU (gloo backend), and teardown.

mmengine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and its
runner wraps the model with ``device_ids=[LOCAL_RANK]``; both fail on CPU.
On such machines the tools initialise the process group with gloo
themselves and build DDP without device ids, so ``torchrun`` and Slurm
launches work the same on CPU as on GPU.

Neither mmengine's runner nor torch destroys the default process group when a
program ends. Left alive, it is torn down during interpreter shutdown while
the backend's worker threads may still release the last collective's Python
objects; with gloo this aborts a rank now and then (``terminate called without
an active exception``, SIGABRT) after all work is done, and torchrun reports
the whole job as failed. The tools therefore run inside
:func:`process_group_teardown`.
"""
import os
from contextlib import contextmanager
from typing import Iterator

import torch
import torch.distributed as dist
from mmengine.config import Config


def _slurm_env_to_torch_env() -> None:
    """Fill the env:// variables from Slurm's when launched by srun."""
    proc_id = int(os.environ['SLURM_PROCID'])
    ntasks = int(os.environ['SLURM_NTASKS'])
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        node_list = os.environ['SLURM_NODELIST']
        import subprocess
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')
    os.environ['WORLD_SIZE'] = str(ntasks)
    os.environ['RANK'] = str(proc_id)
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Initialise gloo and a device-less DDP wrapper when no GPU is present.

    Does nothing for ``launcher='none'`` or when CUDA is available (mmengine
    then does its usual NCCL set-up).
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher == 'slurm':
        _slurm_env_to_torch_env()
    elif launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} is not supported without a '
                         "GPU; use 'pytorch' (torchrun) or 'slurm'")
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.merge_from_dict({'env_cfg.dist_cfg.backend': 'gloo'})
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper


def destroy_process_group() -> None:
    """Destroy the default process group if one is initialised (any backend:
    gloo, NCCL); a no-op otherwise, so it is safe to call twice."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


@contextmanager
def process_group_teardown() -> Iterator[None]:
    """Run a tool's work and destroy the default process group afterwards,
    whether the work succeeded or raised (see the module docstring)."""
    try:
        yield
    finally:
        destroy_process_group()
