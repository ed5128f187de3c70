"""find_resume_checkpoint: the pointer when it is usable, else the newest
complete checkpoint of the work dir, with a log line naming it."""
import pytest
import torch

from mmseginst.utils import resume


def _save(path, step):
    torch.save({'meta': {'iter': step}}, path)


class Log:
    """find_resume_checkpoint, and what it logged."""

    def __init__(self, monkeypatch):
        self.text = ''
        monkeypatch.setattr(resume, 'print_log', self.record)

    def record(self, msg, **kwargs):
        self.text += msg + '\n'

    def find(self, work):
        return resume.find_resume_checkpoint(str(work))


@pytest.fixture
def log(monkeypatch):
    return Log(monkeypatch)


def test_usable_pointer_is_followed(tmp_path, log):
    _save(tmp_path / 'iter_2.pth', 2)
    _save(tmp_path / 'iter_4.pth', 4)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    assert log.find(tmp_path) == str(tmp_path / 'iter_2.pth')
    (tmp_path / 'last_checkpoint').write_text('open-mmlab://resnet50_v1c\n')
    assert log.find(tmp_path) == 'open-mmlab://resnet50_v1c'
    assert 'newest' not in log.text


def test_newest_complete_checkpoint_by_step(tmp_path, log):
    for step in (2, 10, 9):
        _save(tmp_path / f'iter_{step}.pth', step)
    data = (tmp_path / 'iter_10.pth').read_bytes()
    (tmp_path / 'iter_11.pth').write_bytes(data[:len(data) // 2])
    _save(tmp_path / 'best_coco_segm_mAP_iter_12.pth', 12)  # no optimizer
    (tmp_path / 'last_checkpoint').write_text('')
    assert log.find(tmp_path) == str(tmp_path / 'iter_10.pth')
    assert 'last_checkpoint is empty' in log.text
    assert str(tmp_path / 'iter_11.pth') in log.text  # skipped, named


def test_missing_or_dangling_pointer(tmp_path, log):
    _save(tmp_path / 'epoch_3.pth', 3)
    assert log.find(tmp_path) == str(tmp_path / 'epoch_3.pth')
    assert 'last_checkpoint does not exist' in log.text
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_4.pth'))
    assert log.find(tmp_path) == str(tmp_path / 'epoch_3.pth')
    assert 'epoch_4.pth' in log.text and 'which does not exist' in \
        log.text


def test_nothing_to_resume_from(tmp_path, log):
    assert log.find(tmp_path) is None
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_1.pth'))
    assert log.find(tmp_path) is None
    assert 'training starts from the beginning' in log.text
