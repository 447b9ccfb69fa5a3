print("straitd")
