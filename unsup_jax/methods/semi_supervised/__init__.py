"""Semi-supervised learning: M1, M2, M1+M2 beside the supervised-only
classifier, and the label-budget study."""
