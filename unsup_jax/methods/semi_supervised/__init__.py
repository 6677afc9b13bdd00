"""Semi-supervised learning: M1, M2, M1+M2, VAT and FixMatch beside the
labels alone (with and without augmentation) and label spreading, and the
label-budget study."""
