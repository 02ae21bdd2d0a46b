"""Generate the parts of docs/modes.md that come from running code.

    python docs/gen_modes_traces.py            # rewrite the generated blocks of docs/modes.md
    python docs/gen_modes_traces.py --check    # exit 1 if docs/modes.md is stale
    python docs/gen_modes_traces.py --print    # print the generated text

Two blocks, each between HTML comment markers in modes.md:
  guards  the thread's mode record inside each guard (entered from the default record)
  trace   the dispatch trace of ``x * w`` (``w`` a leaf that requires grad) and of an in-place
          ``v.neg_()``, under grad mode, ``no_grad`` and ``inference_mode``; then in-place ops
          on an inference tensor

tests/test_docs_traces.py regenerates both and compares them with the embedded text, so the
guide cannot go stale.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
MODES_MD = HERE / "modes.md"
_SRC = str(HERE.parent / "src")


def _import_tensor():
    if _SRC not in sys.path:
        sys.path.insert(0, _SRC)
    import tensor
    return tensor


def _names(bits) -> str:
    from dispatch import DispatchKeySet
    names = DispatchKeySet(bits).names()
    return "{" + ", ".join(names) + "}" if names else "{}"


def guard_table() -> str:
    """A markdown table: the mode record inside each guard, entered from the default record."""
    tk = _import_tensor()
    from dispatch.record import DEFAULT_RECORD, current_record, reset_record, set_record

    cases = [
        ("(default, no guard)", lambda: contextlib.nullcontext()),
        ("no_grad()", tk.no_grad),
        ("enable_grad()", tk.enable_grad),
        ("set_grad_enabled(False)", lambda: tk.set_grad_enabled(False)),
        ("inference_mode()", tk.inference_mode),
        ("inference_mode(False)", lambda: tk.inference_mode(False)),
        ("AutoDispatchBelowAutograd()", tk.AutoDispatchBelowAutograd),
        ("AutoDispatchBelowADInplaceOrView()", tk.AutoDispatchBelowADInplaceOrView),
        ("enable_grad() inside inference_mode()",
         lambda: _nested(tk.inference_mode(), tk.enable_grad())),
        ("inference_mode(False) inside inference_mode()",
         lambda: _nested(tk.inference_mode(), tk.inference_mode(False))),
        ("no_grad() inside AutoDispatchBelowADInplaceOrView()",
         lambda: _nested(tk.AutoDispatchBelowADInplaceOrView(), tk.no_grad())),
        ("autocast('cpu', dtype=torch.float16)",
         lambda: tk.autocast("cpu", dtype=tk.float16)),
        ("autocast(..., float16) inside inference_mode()",
         lambda: _nested(tk.inference_mode(), tk.autocast("cpu", dtype=tk.float16))),
    ]
    rows = ["| guard | grad mode | inference mode | TLS included | TLS excluded |",
            "|---|---|---|---|---|"]
    token = set_record(DEFAULT_RECORD)
    try:
        for label, make in cases:
            with make():
                r = current_record()
            rows.append(f"| `{label}` | {'on' if r.grad_enabled else 'off'} | "
                        f"{'on' if r.inference_mode else 'off'} | `{_names(r.included)}` | "
                        f"`{_names(r.excluded)}` |")
    finally:
        reset_record(token)
    return "\n".join(rows)


@contextlib.contextmanager
def _nested(outer, inner):
    with outer, inner:
        yield


def traces() -> str:
    """The dispatch traces of ``x * w`` and ``v.neg_()`` under each mode, as plain text."""
    tk = _import_tensor()
    from dispatch.record import DEFAULT_RECORD, reset_record, set_record

    modes = [("grad mode (default)", contextlib.nullcontext),
             ("no_grad()", tk.no_grad),
             ("inference_mode()", tk.inference_mode)]
    out = io.StringIO()
    token = set_record(DEFAULT_RECORD)
    try:
        x = tk.tensor([1.0, 2.0, 3.0])
        w = tk.ones(3, requires_grad=True)
        print("x = tensor.tensor([1., 2., 3.]); w = tensor.ones(3, requires_grad=True)",
              file=out)
        for label, guard in modes:
            with guard():
                with tk.dispatch_trace(echo=False) as tr:
                    y = x * w
            print(f"\n## x * w under {label}", file=out)
            print(tr.format(), file=out)
            print(f"=> requires_grad={y.requires_grad}  grad_fn="
                  f"{type(y.grad_fn).__name__ if y.grad_fn is not None else None}  "
                  f"is_inference={y.is_inference()}", file=out)
        for label, guard in modes:
            v = tk.zeros(3)
            with guard():
                with tk.dispatch_trace(echo=False) as tr:
                    v.neg_()
            print(f"\n## v.neg_() under {label}  (v a normal tensor)", file=out)
            print(tr.format(), file=out)
            print(f"=> v._version={v._version}", file=out)
        with tk.inference_mode():
            t = tk.zeros(3)
            with tk.dispatch_trace(echo=False) as tr:
                t.neg_()
            with tk.dispatch_trace(echo=False) as tr2:
                t.add_(1)
        print("\n## t.neg_() under inference_mode()  (t an inference tensor made there)",
              file=out)
        print(tr.format(), file=out)
        print("\n## t.add_(1) under inference_mode()  (the number 1 counts as a normal tensor)",
              file=out)
        print(tr2.format(), file=out)
        with tk.autocast("cpu", dtype=tk.float16):
            with tk.dispatch_trace(echo=False) as tr:
                y = x @ w
        print("\n## x @ w under autocast('cpu', dtype=torch.float16)", file=out)
        print(tr.format(), file=out)
        inputs = [type(f).__name__ if f is not None else None
                  for f, _ in y.grad_fn.next_functions]
        print(f"=> dtype={y.dtype}  grad_fn={type(y.grad_fn).__name__}  inputs: {inputs}",
              file=out)
    finally:
        reset_record(token)
    return out.getvalue().rstrip("\n")


def blocks() -> dict[str, str]:
    """name -> the exact text that belongs between that block's markers in modes.md."""
    return {
        "guards": guard_table(),
        "trace": "```text\n" + traces() + "\n```",
    }


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def embedded(text: str, name: str) -> str:
    """The text between a block's markers (without the newlines around it)."""
    begin, end = markers(name)
    i, j = text.index(begin) + len(begin), text.index(end)
    return text[i:j].strip("\n")


def render(text: str) -> str:
    """``text`` with every generated block replaced by freshly generated content."""
    for name, body in blocks().items():
        begin, end = markers(name)
        i, j = text.index(begin) + len(begin), text.index(end)
        text = text[:i] + "\n" + body + "\n" + text[j:]
    return text


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--print" in args:
        for name, body in blocks().items():
            print(f"[{name}]\n{body}\n")
        return 0
    old = MODES_MD.read_text(encoding="utf-8")
    new = render(old)
    if "--check" in args:
        if new != old:
            print("docs/modes.md is stale: run python docs/gen_modes_traces.py")
            return 1
        print("docs/modes.md is up to date")
        return 0
    if new != old:
        MODES_MD.write_text(new, encoding="utf-8")
        print("docs/modes.md updated")
    else:
        print("docs/modes.md already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
