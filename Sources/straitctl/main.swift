print("straitctl")
