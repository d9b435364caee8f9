"""Print the Glance stores of each image id given, one line each: `site-a,site-b` (sorted).

Usage: stores.py CONFIG IMAGE_ID... (CONFIG: the integration_config.yml ansible-test hands over).
"""
import sys

sys.path.insert(0, "../setup_testbed/files")
from testbed_cloud import connect  # noqa: E402 (the helper's dir is put on the path first)

conn = connect(sys.argv[1])
for image_id in sys.argv[2:]:
    stores = conn.image.get_image(image_id).properties.get("stores") or ""
    print(",".join(sorted(store for store in stores.split(",") if store)))
