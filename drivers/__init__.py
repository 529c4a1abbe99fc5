"""Modbus field I/O: device profiles, bus owners, decoding, simulated devices."""
