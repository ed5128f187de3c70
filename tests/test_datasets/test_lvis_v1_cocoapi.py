"""LVIS v1 annotations read without the lvis package."""
import json

from mmseginst.datasets import LVISV1CocoAPIDataset


def test_lvis_v1_cocoapi_dataset(tmp_path):
    lvis = dict(
        images=[
            dict(id=3, height=40, width=50, neg_category_ids=[],
                 not_exhaustive_category_ids=[],
                 coco_url='http://images.cocodataset.org/val2017/3.jpg'),
            dict(id=9, height=40, width=50, neg_category_ids=[2],
                 not_exhaustive_category_ids=[],
                 coco_url='http://images.cocodataset.org/train2017/9.jpg')
        ],
        categories=[dict(id=1, name='aerosol_can', frequency='c'),
                    dict(id=2, name='air_conditioner', frequency='f')],
        annotations=[
            dict(id=1, image_id=3, category_id=2, bbox=[1, 2, 10, 10],
                 area=100., segmentation=[[1, 2, 11, 2, 11, 12, 1, 12]]),
            dict(id=2, image_id=3, category_id=1, bbox=[5, 5, 20, 10],
                 area=200., segmentation=[[5, 5, 25, 5, 25, 15, 5, 15]])
        ])
    ann = tmp_path / 'lvis_v1_val.json'
    ann.write_text(json.dumps(lvis))
    ds = LVISV1CocoAPIDataset(
        data_root=str(tmp_path), ann_file=str(ann), data_prefix=dict(img=''),
        test_mode=True, pipeline=[])
    assert len(ds) == 2
    first = ds.get_data_info(0)
    assert first['img_path'].endswith('val2017/3.jpg')
    assert [i['bbox_label'] for i in first['instances']] == [1, 0]
    assert first['instances'][0]['bbox'] == [1, 2, 11, 12]
    assert ds.get_data_info(1)['instances'] == []
