print("certgate")
