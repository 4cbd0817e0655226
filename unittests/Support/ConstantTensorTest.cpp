//===- ConstantTensorTest.cpp - Constant tensor helpers --------------------===//

#include "qopt/Support/ConstantTensor.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace mlir;

namespace {

class ConstantTensorTest : public ::testing::Test {
protected:
  MLIRContext context;

  ElementsAttr makeResource(RankedTensorType type, ArrayRef<char> bytes) {
    return DenseResourceElementsAttr::get(
        type, "test_blob", HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, 8));
  }
};

template <typename T>
std::vector<T> valuesOf(ElementsAttr attr) {
  std::optional<ArrayRef<char>> bytes = qopt::getConstantBytes(attr);
  EXPECT_TRUE(bytes.has_value());
  if (!bytes)
    return {};
  std::vector<T> values(bytes->size() / sizeof(T));
  std::memcpy(values.data(), bytes->data(), bytes->size());
  return values;
}

TEST_F(ConstantTensorTest, TransposesResourceBlobOfHalfFloats) {
  // f16 values 0..5 as raw 16-bit patterns: the transpose moves elements, not bits.
  const uint16_t data[6] = {0x3C00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600};
  auto type = RankedTensorType::get({2, 3}, Float16Type::get(&context));
  ElementsAttr attr = makeResource(type, {reinterpret_cast<const char *>(data), sizeof(data)});
  ElementsAttr transposed = qopt::transposeConstant2D(attr, "t");
  ASSERT_TRUE(transposed);
  EXPECT_EQ(cast<ShapedType>(transposed.getType()).getShape(), ArrayRef<int64_t>({3, 2}));
  EXPECT_EQ(valuesOf<uint16_t>(transposed),
            (std::vector<uint16_t>{0x3C00, 0x4400, 0x4000, 0x4500, 0x4200, 0x4600}));
}

TEST_F(ConstantTensorTest, TransposesDenseIntegers) {
  auto type = RankedTensorType::get({3, 2}, IntegerType::get(&context, 32));
  auto attr = DenseElementsAttr::get(type, ArrayRef<int32_t>{1, 2, 3, 4, 5, 6});
  ElementsAttr transposed = qopt::transposeConstant2D(attr, "t");
  ASSERT_TRUE(transposed);
  EXPECT_EQ(valuesOf<int32_t>(transposed), (std::vector<int32_t>{1, 3, 5, 2, 4, 6}));
}

TEST_F(ConstantTensorTest, SplatsStaySplats) {
  auto type = RankedTensorType::get({2, 5}, Float32Type::get(&context));
  auto attr = DenseElementsAttr::get(type, 1.5f);
  ElementsAttr transposed = qopt::transposeConstant2D(attr, "t");
  auto dense = dyn_cast_or_null<DenseElementsAttr>(transposed);
  ASSERT_TRUE(dense);
  EXPECT_TRUE(dense.isSplat());
  EXPECT_EQ(dense.getType().getShape(), ArrayRef<int64_t>({5, 2}));
  EXPECT_FALSE(qopt::getConstantBytes(attr).has_value());
}

TEST_F(ConstantTensorTest, ReshapeSharesTheBlob) {
  const float data[4] = {1, 2, 3, 4};
  auto type = RankedTensorType::get({1, 4}, Float32Type::get(&context));
  ElementsAttr attr = makeResource(type, {reinterpret_cast<const char *>(data), sizeof(data)});
  ElementsAttr reshaped =
      qopt::reshapeConstant(attr, RankedTensorType::get({4}, Float32Type::get(&context)));
  ASSERT_TRUE(reshaped);
  EXPECT_EQ(qopt::getConstantBytes(reshaped)->data(), qopt::getConstantBytes(attr)->data());
}

TEST_F(ConstantTensorTest, RejectsSubByteElements) {
  auto type = RankedTensorType::get({2, 2}, IntegerType::get(&context, 4));
  const char data[2] = {0x12, 0x34};
  ElementsAttr attr = makeResource(type, {data, 2});
  EXPECT_FALSE(qopt::getConstantBytes(attr).has_value());
  EXPECT_FALSE(qopt::transposeConstant2D(attr, "t"));
}

} // namespace
