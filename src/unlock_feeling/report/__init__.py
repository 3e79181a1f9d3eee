"""Report stage: the result table written to CSV/JSON/Parquet, and the HTML report."""

from unlock_feeling.report.table import check_output_path, write_table

__all__ = ["check_output_path", "write_table"]
