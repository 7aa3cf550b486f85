"""Image engines behind one small interface (`base`): the weight-free `vector` engine, the
Stable Diffusion engine (`diffusers_engine`, with `diffusers_requests`), open_clip `scoring`,
weight loading and hashing (`loading`), the per-process `registry` of warm engines, and
`tiny_models` for tests. torch/diffusers/open_clip are imported lazily inside them.
"""
