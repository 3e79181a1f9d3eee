"""Report stage: the result table, its terminal rendering and its files."""

from unlock_feeling.report.table import COLUMNS, check_output_path, write_table

__all__ = ["COLUMNS", "check_output_path", "write_table"]
