"""Networks, training and evaluation on grid tensors: (2+1)D, full 3D and 2D residual nets."""
