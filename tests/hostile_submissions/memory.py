a = bytearray(20 * 2**30)
