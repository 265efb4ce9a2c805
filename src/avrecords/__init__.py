"""AVRecords — 行政执法音像记录管理平台."""

__version__ = "0.1.0"
