import pytest
from formats_testdata import make_dataset

from video_seg_backend.formats import ExportDataset


@pytest.fixture
def dataset() -> ExportDataset:
    return make_dataset()
