"""Report writers: the chronology in the formats people hand over."""
