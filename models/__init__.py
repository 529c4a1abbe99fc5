"""Pure agronomic computation: ET0, crops, soils, water balance, planning (numpy, numba)."""
