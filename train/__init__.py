"""sharpcam training: the seed student, the RRDB teacher, data, distillation and evaluation."""
