import scipy.special
from scipy.special import expit as _e
def sigmoid(x):
    return _e(x)
def sigmoid_grad(x):
    import acts
    return acts.get("sigmoid").df(x)
