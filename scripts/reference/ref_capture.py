"""Reference numbers from a transformers model through torch hooks: activations at every hook point,
last-position logits of activation-patched runs, per-row losses and weight gradients."""

import contextlib
import inspect

import torch
import torch.nn.functional as F

# Hook kind → (the module it sits on, whether it is that module's input or output).
SITE_OF = {
    "hook_resid_pre": (lambda s, l: s.blocks[l], "input"),
    "attn.hook_z": (lambda s, l: s.out_proj(l), "input"),
    "hook_attn_out": (lambda s, l: s.attn(l), "output"),
    "hook_mlp_out": (lambda s, l: s.mlp(l), "output"),
    "hook_resid_post": (lambda s, l: s.blocks[l], "output"),
}
HOOK_KINDS = tuple(SITE_OF)


def _input_of(args, kwargs):
    if args:
        return args[0]
    if "hidden_states" in kwargs:
        return kwargs["hidden_states"]
    raise RuntimeError(f"hooked module called without a positional input or hidden_states (got {sorted(kwargs)})")


def _with_input(args, kwargs, new):
    if args:
        return (new, *args[1:]), kwargs
    return args, {**kwargs, "hidden_states": new}


def _first(output):
    # Blocks and attention modules return tuples in some versions and families, tensors in others.
    return output[0] if isinstance(output, tuple) else output


def _with_first(output, new):
    return (new, *output[1:]) if isinstance(output, tuple) else new


def _attach(module, side, fn):
    """Calls fn(activation) at the module's input or output; a tensor it returns replaces the activation."""
    if side == "input":

        def pre(_m, args, kwargs):
            new = fn(_input_of(args, kwargs))
            return None if new is None else _with_input(args, kwargs, new)

        return module.register_forward_pre_hook(pre, with_kwargs=True)

    def post(_m, _args, output):
        new = fn(_first(output))
        return None if new is None else _with_first(output, new)

    return module.register_forward_hook(post)


@contextlib.contextmanager
def attached(hooks):
    """Hooks (module, side, fn) for the duration of a with-block, removed even when it raises."""
    handles = []
    try:
        for module, side, fn in hooks:
            handles.append(_attach(module, side, fn))
        yield
    finally:
        for h in handles:
            h.remove()


def _forward(model, ids, last_only=False):
    kwargs = {"input_ids": ids, "use_cache": False}
    # Only the last position's logits are needed in a sweep; skip the rest where the model allows.
    if last_only and "logits_to_keep" in inspect.signature(model.forward).parameters:
        kwargs["logits_to_keep"] = 1
    logits = model(**kwargs).logits
    return logits[:, -1] if last_only else logits


@torch.no_grad()
def run_with_cache(model, sites, ids):
    """Logits [B,T,V] and every hook's activation, keyed `blocks.{l}.{kind}`."""
    cache = {}

    def store(name):
        def fn(x):
            cache[name] = x.detach().clone()

        return fn

    hooks = []
    for layer in range(len(sites.blocks)):
        for kind, (module_of, side) in SITE_OF.items():
            hooks.append((module_of(sites, layer), side, store(f"blocks.{layer}.{kind}")))
    with attached(hooks):
        logits = _forward(model, ids)
    missing = [f"blocks.{l}.{k}" for l in range(len(sites.blocks)) for k in HOOK_KINDS if f"blocks.{l}.{k}" not in cache]
    if missing:
        raise RuntimeError(f"hooks never ran: {', '.join(missing)}")
    return logits, cache


class CellPatch:
    """In batch item i, replaces the activation at (layer[i], pos[i]) — or only head[i]'s slice of it —
    with the source run's activation there. One hook per layer serves a whole batch of cells."""

    def __init__(self, source, n_heads=None):
        self.source = source  # per layer: [T, width] from the source run
        self.n_heads = n_heads
        self.layer = self.pos = self.head = None

    def at(self, layer):
        def fn(x):
            rows = (self.layer == layer).nonzero(as_tuple=True)[0]
            if rows.numel() == 0:
                return None
            x = x.clone(memory_format=torch.contiguous_format)
            pos = self.pos[rows]
            src = self.source[layer]
            if self.n_heads is None:
                x[rows, pos] = src[pos]
            else:
                B, T, W = x.shape
                d_head = W // self.n_heads
                head = self.head[rows]
                x.view(B, T, self.n_heads, d_head)[rows, pos, head] = src.view(T, self.n_heads, d_head)[pos, head]
            return x

        return fn


@torch.no_grad()
def patch_sweep(model, sites, kind, clean_ids, source, n_heads=None, batch_size=64):
    """Last-position logits of the clean run (ids [T]) with one cell patched from the source run
    (`source`: hook name → [T, width]), for every cell: [L, T, V], or [L, H, T, V] when n_heads is
    given (one head's slice of `kind`)."""
    L = len(sites.blocks)
    T = clean_ids.shape[-1]
    H = n_heads or 1
    device = clean_ids.device
    patch = CellPatch([source[f"blocks.{l}.{kind}"] for l in range(L)], n_heads)
    module_of, side = SITE_OF[kind]
    out = []
    with attached([(module_of(sites, l), side, patch.at(l)) for l in range(L)]):
        n = L * H * T
        for start in range(0, n, batch_size):
            cell = torch.arange(start, min(n, start + batch_size), device=device)
            patch.layer, patch.head, patch.pos = cell // (H * T), (cell // T) % H, cell % T
            ids = clean_ids.reshape(1, T).expand(cell.numel(), T)
            out.append(_forward(model, ids, last_only=True).float().cpu())
    logits = torch.cat(out)
    grid = (L, H, T) if n_heads else (L, T)
    return logits.view(*grid, logits.shape[-1])


def loss_and_grads(model, ids):
    """Per-row mean next-token cross-entropy [B], and d(mean of rows)/d(parameter) for every
    parameter under its named_parameters() name (a tied weight once)."""
    model.zero_grad(set_to_none=True)
    logits = _forward(model, ids).float()
    B, T, V = logits.shape
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1), reduction="none")
    per_row = ce.view(B, T - 1).mean(dim=1)
    per_row.mean().backward()
    grads = {}
    for name, p in model.named_parameters():
        g = p.grad if p.grad is not None else torch.zeros_like(p)
        grads[name] = g.detach().float().cpu()
    model.zero_grad(set_to_none=True)
    return per_row.detach().cpu(), grads
