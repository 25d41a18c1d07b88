"""The demo's model shape (jobs/configs/demo.ini: hidden 128, 4 layers, SwiGLU 352) as the peer
benches build it, with the attention heads as options (default: demo.ini's 16 query and 8
key-value heads)."""

HIDDEN = 128
LAYERS = 4


def add_head_arguments(parser):
    parser.add_argument("--heads", type=int, default=16, help="query heads (demo.ini's)")
    parser.add_argument("--kv-heads", type=int, default=8, help="key-value heads (demo.ini's)")


def check_heads(parser, args):
    """One line and exit 2 (the parser's error) unless the heads fit the hidden size."""
    if args.heads < 1 or HIDDEN % args.heads != 0:
        parser.error(f"argument --heads: expected a divisor of {HIDDEN}, got {args.heads}")
    if args.kv_heads < 1 or args.heads % args.kv_heads != 0:
        parser.error(f"argument --kv-heads: expected a divisor of --heads ({args.heads}), "
                     f"got {args.kv_heads}")


def model_shape(args):
    """The shape as scir_hpc's --model.* options name it (Hugging Face's config names)."""
    return dict(hidden_size=HIDDEN, intermediate_size=352, num_hidden_layers=LAYERS,
                num_attention_heads=args.heads, num_key_value_heads=args.kv_heads)
