def sigmoid(x):
    while True:
        try:
            pass
        except BaseException:
            pass
