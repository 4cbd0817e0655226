"""A small trained residual CNN for quantization benchmarks: handwritten digits.

    python -m qopt.digits_cnn model.onnx --data DIR [--epochs 40] [--seed 0]

No network access is needed: the images are scikit-learn's bundled digits
(1797 8x8 greyscale images, 10 classes), upsampled to 16x16; the network is
trained with PyTorch on the CPU (both come with the sentence-transformers
dependency of the Python environment) and written as a plain ONNX graph with
the batch norms folded into the convolutions:

    conv 1->16 3x3 | relu | [conv 16->16 | relu | conv 16->16] + skip | relu
    | [conv 16->32 3x3/2 | relu | conv 32->32] + conv 1x1/2 skip | relu
    | [conv 32->32 | relu | conv 32->32] + skip | relu
    | global average pool | flatten | fc 32->10

It has seven 3x3 convolutions (K = 9 to 288), a strided 1x1 shortcut and a
linear classifier: what the convolution paths of the quantizer see in a
ResNet, small enough to train in seconds. `--data DIR` writes 500 held-out
images as DIR/calib.npz (100) and DIR/eval.npz (400), each with an `image`
array [S, 1, 1, 16, 16] (one model input per sample, what `qopt --calib` and
`qopt eval --data` read) and their `label`s: calibration and evaluation never
see training images.
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZE = 16


def load_images():
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0  # [N, 8, 8] in [0, 1]
    images = images.repeat(2, axis=1).repeat(2, axis=2)  # nearest upsampling to 16x16
    images = (images - 0.5) / 0.5
    return images[:, None], digits.target.astype(np.int64)


def build_network(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = None
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = torch.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            return torch.relu(y + (x if self.shortcut is None else self.shortcut(x)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
            self.bn = nn.BatchNorm2d(16)
            self.blocks = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 32, 1))
            self.fc = nn.Linear(32, 10)

        def forward(self, x):
            x = torch.relu(self.bn(self.stem(x)))
            x = self.blocks(x).mean((2, 3))
            return self.fc(x)

    return Net()


def fold(conv, bn):
    """The weight and bias of conv followed by bn (eval mode)."""
    scale = (bn.weight / (bn.running_var + bn.eps).sqrt()).detach().numpy()
    weight = conv.weight.detach().numpy() * scale[:, None, None, None]
    bias = bn.bias.detach().numpy() - bn.running_mean.detach().numpy() * scale
    return weight.astype(np.float32), bias.astype(np.float32)


def to_onnx(net):
    nodes, inits = [], []

    def conv(name, x, module, bn, stride, pad):
        weight, bias = fold(module, bn)
        inits.extend([numpy_helper.from_array(weight, f"{name}.weight"),
                      numpy_helper.from_array(bias, f"{name}.bias")])
        nodes.append(helper.make_node("Conv", [x, f"{name}.weight", f"{name}.bias"], [name], name=name,
                                      strides=[stride, stride], pads=[pad] * 4))
        return name

    def relu(x):
        nodes.append(helper.make_node("Relu", [x], [x + ".relu"], name=x + ".relu"))
        return x + ".relu"

    x = relu(conv("stem", "image", net.stem, net.bn, 1, 1))
    for i, block in enumerate(net.blocks):
        stride = block.conv1.stride[0]
        y = relu(conv(f"block{i}.conv1", x, block.conv1, block.bn1, stride, 1))
        y = conv(f"block{i}.conv2", y, block.conv2, block.bn2, 1, 1)
        skip = x if block.shortcut is None else conv(f"block{i}.shortcut", x, block.shortcut[0],
                                                        block.shortcut[1], stride, 0)
        nodes.append(helper.make_node("Add", [y, skip], [f"block{i}.sum"], name=f"block{i}.add"))
        x = relu(f"block{i}.sum")
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="pool"))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], name="flatten"))
    inits.extend([numpy_helper.from_array(net.fc.weight.detach().numpy(), "fc.weight"),
                  numpy_helper.from_array(net.fc.bias.detach().numpy(), "fc.bias")])
    nodes.append(helper.make_node("Gemm", ["features", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1))
    graph = helper.make_graph(nodes, "digits_cnn",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, SIZE, SIZE])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def train(epochs, seed):
    """(onnx model, held-out images, held-out labels, train accuracy, held-out accuracy)."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    images, labels = load_images()
    order = np.random.default_rng(seed).permutation(len(images))
    train_index, held_index = order[:1297], order[1297:]
    x, y = torch.from_numpy(images[train_index]), torch.from_numpy(labels[train_index])
    net = build_network(torch)
    optimizer = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs * ((len(x) + 63) // 64))
    for _ in range(epochs):
        net.train()
        for batch in torch.randperm(len(x)).split(64):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            schedule.step()
    net.eval()
    with torch.no_grad():
        train_accuracy = (net(x).argmax(1) == y).float().mean().item()
        held = torch.from_numpy(images[held_index])
        held_accuracy = (net(held).argmax(1).numpy() == labels[held_index]).mean()
    return to_onnx(net), images[held_index], labels[held_index], train_accuracy, float(held_accuracy)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="the ONNX model to write")
    parser.add_argument("--data", help="write held-out calib.npz and eval.npz into this directory")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    model, images, labels, train_accuracy, held_accuracy = train(args.epochs, args.seed)
    onnx.save(model, args.output)
    if args.data:
        os.makedirs(args.data, exist_ok=True)
        samples = images[:, None]  # [S, 1, 1, 16, 16]: one image per sample
        np.savez(os.path.join(args.data, "calib.npz"), image=samples[:100], label=labels[:100])
        np.savez(os.path.join(args.data, "eval.npz"), image=samples[100:], label=labels[100:])
    print(f"digits CNN: train accuracy {train_accuracy:.2%}, held-out accuracy {held_accuracy:.2%} "
          f"({len(images)} images) -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
