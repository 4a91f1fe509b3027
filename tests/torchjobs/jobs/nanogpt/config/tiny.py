# Ours (not nanoGPT's): a model and run small enough for a CPU test, on the synthetic
# data the test writes to data/tiny (train.bin, val.bin: uint16 token ids; meta.pkl).
out_dir = 'out-tiny'
eval_interval = 2
eval_iters = 1
log_interval = 1
always_save_checkpoint = False
dataset = 'tiny'
gradient_accumulation_steps = 1
batch_size = 2
block_size = 16
n_layer = 1
n_head = 2
n_embd = 16
dropout = 0.0
max_iters = 2
lr_decay_iters = 2
warmup_iters = 1
device = 'cpu'
dtype = 'float32'
compile = False
