"""roi_extractors of mmseginst."""
from .adaptive_roi_extractor import (AdaptiveRoIExtractor,  # noqa: F401
                                     roi_img_shapes)
