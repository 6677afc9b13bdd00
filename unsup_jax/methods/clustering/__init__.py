"""Deep clustering: DEC, IDEC, VaDE, and the study that puts them beside
shallow clustering."""
