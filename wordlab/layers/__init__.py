"""Neural network layers, one concept per submodule; import from the submodule (``from wordlab.layers.attention import Attention``)."""
