"""A report may have no pin (Report.location NULL): a channel that could not find the place files it anyway,
routed over the province by category, and staff set the pin later (history action "located").

The map grid's trigger function adds a report's point to a cell per level: a NULL point would compute NULL
cell numbers and fail the insert (the columns are NOT NULL). A report without a pin belongs to no cell, so
the function leaves the grid alone for it, and the rebuild skips such reports; setting the pin later is an
update of `location`, which the existing trigger already applies (NULL to a point: only the add half acts).
"""

import importlib

import django.contrib.gis.db.models.fields
from django.db import migrations, models

grid = importlib.import_module("incidents.migrations.0004_report_grid")
LEVEL = importlib.import_module("incidents.migrations.0007_report_grid_level_18").LEVEL

_BEGIN = "    p geometry := ST_Transform(loc, 3857);\nBEGIN\n"
_ROWS = "        FROM incidents_report\n    ) r"


def _functions(*, null_safe: bool) -> str:
    sql = grid.grid_functions_sql(LEVEL)
    assert _BEGIN in sql and _ROWS in sql, "the grid functions of 0004 changed: update this migration"
    if not null_safe:
        return sql
    # A report without a pin is in no cell.
    sql = sql.replace(_BEGIN, _BEGIN + "    IF loc IS NULL THEN\n        RETURN;\n    END IF;\n")
    return sql.replace(_ROWS, "        FROM incidents_report WHERE location IS NOT NULL\n    ) r")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0018_supporters_follow"),
    ]

    operations = [
        migrations.RunSQL(_functions(null_safe=True), _functions(null_safe=False)),
        migrations.AlterField(
            model_name="report",
            name="location",
            field=django.contrib.gis.db.models.fields.PointField(
                blank=True, help_text="The pin, WGS 84 longitude/latitude (EPSG:4326).", null=True, srid=4326
            ),
        ),
        migrations.AlterField(
            model_name="reportevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("created", "Tiếp nhận phản ánh"),
                    ("forwarded", "Chuyển xử lý"),
                    ("started", "Bắt đầu xử lý"),
                    ("answered", "Trả lời"),
                    ("approved", "Duyệt kết quả"),
                    ("returned", "Trả lại để sửa kết quả"),
                    ("completed", "Hoàn thành"),
                    ("rejected", "Từ chối"),
                    ("reassigned", "Chuyển cơ quan khác"),
                    ("merged", "Gộp vào phản ánh trùng"),
                    ("reopened", "Mở lại"),
                    ("rated", "Đánh giá kết quả"),
                    ("supported", "Người dân khác cùng phản ánh"),
                    ("redacted", "Che thông tin cá nhân"),
                    ("hidden", "Ẩn khỏi công khai"),
                    ("shown", "Công khai lại"),
                    ("attachment_hidden", "Ẩn tệp đính kèm"),
                    ("overdue", "Quá hạn xử lý"),
                    ("located", "Xác định vị trí"),
                ],
                max_length=20,
            ),
        ),
    ]
