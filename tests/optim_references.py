"""NumPy transcriptions of every optimizer's documented algorithm, for the optim tests.

Each reference follows the pseudo-code of PyTorch's documentation for its class line by line
(one array, an explicit loop over t); ``CASES`` pairs each optimizer with its reference and
option sets. ``make_params`` / ``set_grads`` give two parameters and the gradients of a
non-quadratic loss at their current values.
"""

import numpy as np

import autograd as ag
from nn import optim

STEPS = 20


def sgd_reference(theta, grad_fn, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False, maximize=False):
    trajectory, b = [], None
    for t in range(1, STEPS + 1):
        g = -grad_fn(theta) if maximize else grad_fn(theta)
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            b = g if t == 1 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        trajectory.append(theta)
    return trajectory


def rmsprop_reference(theta, grad_fn, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                      momentum=0.0, centered=False, maximize=False):
    trajectory, v, b, g_ave = [], 0.0, 0.0, 0.0
    for _ in range(STEPS):
        g = -grad_fn(theta) if maximize else grad_fn(theta)
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_ave = g_ave * alpha + (1 - alpha) * g
            v_tilde = v_tilde - g_ave**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
        trajectory.append(theta)
    return trajectory


def adam_reference(theta, grad_fn, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, maximize=False, decoupled=False):
    (beta1, beta2), trajectory, m, v, v_max = betas, [], 0.0, 0.0, 0.0
    for t in range(1, STEPS + 1):
        g = -grad_fn(theta) if maximize else grad_fn(theta)
        if decoupled:
            theta = theta - lr * weight_decay * theta
        elif weight_decay != 0:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(theta)
    return trajectory


def adamw_reference(theta, grad_fn, weight_decay=1e-2, **options):
    return adam_reference(theta, grad_fn, weight_decay=weight_decay, decoupled=True, **options)


def adagrad_reference(theta, grad_fn, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                      initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    trajectory, state_sum = [], initial_accumulator_value
    for t in range(1, STEPS + 1):
        g = -grad_fn(theta) if maximize else grad_fn(theta)
        decayed_lr = lr / (1 + (t - 1) * lr_decay)
        if weight_decay != 0:
            g = g + weight_decay * theta
        state_sum = state_sum + g**2
        theta = theta - decayed_lr * g / (np.sqrt(state_sum) + eps)
        trajectory.append(theta)
    return trajectory


def adadelta_reference(theta, grad_fn, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0,
                       maximize=False):
    trajectory, v, u = [], 0.0, 0.0
    for _ in range(STEPS):
        g = -grad_fn(theta) if maximize else grad_fn(theta)
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = v * rho + g**2 * (1 - rho)
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = u * rho + delta**2 * (1 - rho)
        theta = theta - lr * delta
        trajectory.append(theta)
    return trajectory


def adamax_reference(theta, grad_fn, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                     maximize=False):
    (beta1, beta2), trajectory, m, u = betas, [], 0.0, 0.0
    for t in range(1, STEPS + 1):
        g = -grad_fn(theta) if maximize else grad_fn(theta)
        if weight_decay != 0:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        u = np.maximum(beta2 * u, np.abs(g) + eps)
        theta = theta - lr * m / ((1 - beta1**t) * u)
        trajectory.append(theta)
    return trajectory


def nadam_reference(theta, grad_fn, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    (beta1, beta2), trajectory, m, v = betas, [], 0.0, 0.0

    def mu(t):
        return beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))

    for t in range(1, STEPS + 1):
        g = -grad_fn(theta) if maximize else grad_fn(theta)
        if weight_decay != 0:
            if decoupled_weight_decay:
                theta = theta - lr * weight_decay * theta
            else:
                g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        product_t = np.prod([mu(i) for i in range(1, t + 1)])
        product_next = product_t * mu(t + 1)
        m_hat = mu(t + 1) * m / (1 - product_next) + (1 - mu(t)) * g / (1 - product_t)
        v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(theta)
    return trajectory


def radam_reference(theta, grad_fn, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    decoupled_weight_decay=False, maximize=False):
    (beta1, beta2), trajectory, m, v = betas, [], 0.0, 0.0
    rho_inf = 2 / (1 - beta2) - 1
    for t in range(1, STEPS + 1):
        g = -grad_fn(theta) if maximize else grad_fn(theta)
        if weight_decay != 0:
            if decoupled_weight_decay:
                theta = theta - lr * weight_decay * theta
            else:
                g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5:
            step_l = np.sqrt(1 - beta2**t) / (np.sqrt(v) + eps)
            r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            theta = theta - lr * m_hat * r * step_l
        else:
            theta = theta - lr * m_hat
        trajectory.append(theta)
    return trajectory


CASES = [
    (optim.SGD, sgd_reference, {}),
    (optim.SGD, sgd_reference, {"lr": 0.05}),
    (optim.SGD, sgd_reference, {"lr": 0.05, "momentum": 0.9}),
    (optim.SGD, sgd_reference, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    (optim.SGD, sgd_reference, {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    (optim.SGD, sgd_reference, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.SGD, sgd_reference, {"lr": 0.05, "maximize": True}),
    (optim.SGD, sgd_reference, {"lr": 0.03, "momentum": 0.7, "weight_decay": 0.2,
                                "nesterov": True, "maximize": True}),
    (optim.RMSprop, rmsprop_reference, {}),
    (optim.RMSprop, rmsprop_reference, {"lr": 0.02, "alpha": 0.9}),
    (optim.RMSprop, rmsprop_reference, {"eps": 1e-2}),
    (optim.RMSprop, rmsprop_reference, {"centered": True}),
    (optim.RMSprop, rmsprop_reference, {"momentum": 0.5}),
    (optim.RMSprop, rmsprop_reference, {"weight_decay": 0.1}),
    (optim.RMSprop, rmsprop_reference, {"maximize": True}),
    (optim.RMSprop, rmsprop_reference, {"alpha": 0.8, "centered": True, "momentum": 0.6,
                                        "weight_decay": 0.05}),
    (optim.Adam, adam_reference, {}),
    (optim.Adam, adam_reference, {"lr": 0.05, "betas": (0.8, 0.99)}),
    (optim.Adam, adam_reference, {"lr": 0.05, "eps": 1e-2}),
    (optim.Adam, adam_reference, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.Adam, adam_reference, {"lr": 0.05, "betas": (0.9, 0.6), "amsgrad": True}),
    (optim.Adam, adam_reference, {"lr": 0.05, "maximize": True}),
    (optim.Adam, adam_reference, {"lr": 0.05, "betas": (0.5, 0.6), "weight_decay": 0.2,
                                  "amsgrad": True, "maximize": True}),
    (optim.AdamW, adamw_reference, {}),
    (optim.AdamW, adamw_reference, {"lr": 0.05, "weight_decay": 0.3}),
    (optim.AdamW, adamw_reference, {"lr": 0.05, "weight_decay": 0.0}),
    (optim.AdamW, adamw_reference, {"lr": 0.05, "betas": (0.9, 0.6), "amsgrad": True,
                                    "maximize": True}),
    (optim.Adagrad, adagrad_reference, {}),
    (optim.Adagrad, adagrad_reference, {"lr": 0.1, "lr_decay": 0.05}),
    (optim.Adagrad, adagrad_reference, {"lr": 0.1, "weight_decay": 0.1}),
    (optim.Adagrad, adagrad_reference, {"lr": 0.1, "initial_accumulator_value": 0.5}),
    (optim.Adagrad, adagrad_reference, {"lr": 0.1, "eps": 1e-2}),
    (optim.Adagrad, adagrad_reference, {"lr": 0.1, "maximize": True}),
    (optim.Adadelta, adadelta_reference, {}),
    (optim.Adadelta, adadelta_reference, {"lr": 0.5, "rho": 0.7}),
    (optim.Adadelta, adadelta_reference, {"eps": 1e-3, "weight_decay": 0.1}),
    (optim.Adadelta, adadelta_reference, {"maximize": True}),
    (optim.Adamax, adamax_reference, {}),
    (optim.Adamax, adamax_reference, {"lr": 0.05, "betas": (0.8, 0.6)}),
    (optim.Adamax, adamax_reference, {"lr": 0.05, "eps": 1e-2, "weight_decay": 0.1}),
    (optim.Adamax, adamax_reference, {"lr": 0.05, "maximize": True}),
    (optim.NAdam, nadam_reference, {}),
    (optim.NAdam, nadam_reference, {"lr": 0.05, "betas": (0.8, 0.9), "momentum_decay": 0.1}),
    (optim.NAdam, nadam_reference, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.NAdam, nadam_reference, {"lr": 0.05, "weight_decay": 0.1,
                                    "decoupled_weight_decay": True}),
    (optim.NAdam, nadam_reference, {"lr": 0.05, "eps": 1e-2, "maximize": True}),
    (optim.RAdam, radam_reference, {}),
    (optim.RAdam, radam_reference, {"lr": 0.05, "betas": (0.8, 0.9)}),
    (optim.RAdam, radam_reference, {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    (optim.RAdam, radam_reference, {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1,
                                    "decoupled_weight_decay": True, "maximize": True}),
]


def case_id(case):
    cls, _, options = case
    return cls.__name__ + "-" + ("-".join(f"{k}={v}" for k, v in options.items()) or "defaults")


INITIAL = [np.array([1.5, -0.7, 0.2]), np.array([[0.3, -1.2, 2.0], [-0.4, 0.9, 0.1]])]
TARGETS = [np.array([0.5, 0.25, -1.0]), np.array([[1.0, 0.0, -0.5], [0.3, -0.8, 1.1]])]


def loss_gradient(theta, target):
    """Gradient of sum((theta - target)**2 + theta**4 / 4): not quadratic, so the moment
    estimates see gradients of changing size."""
    return 2 * (theta - target) + theta**3


def gradient_fn(target, options):
    # with maximize the optimizer climbs, so give it the gradient of the negated loss
    sign = -1.0 if options.get("maximize") else 1.0
    return lambda theta: sign * loss_gradient(theta, target)


def make_params(dtype=np.float64):
    return [ag.Tensor(theta.astype(dtype), requires_grad=True) for theta in INITIAL]


def set_grads(params, options):
    for param, target in zip(params, TARGETS):
        param.grad = ag.Tensor(gradient_fn(target, options)(param.data))
