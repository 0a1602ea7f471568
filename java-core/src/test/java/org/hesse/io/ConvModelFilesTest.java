package org.hesse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hesse.nn.Conv2d;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.nn.ParamTensor;
import org.junit.jupiter.api.Test;

/** Model descriptions of small conv nets: building, state-dict names and shapes, round trips. */
class ConvModelFilesTest {
  static final String SMALL = "{\"input\": 30, \"loss\": \"cross_entropy\", \"input_shape\": [1, 6, 5], \"layers\": ["
      + "{\"type\": \"conv2d\", \"out_channels\": 3, \"kernel\": 3, \"stride\": 1, \"padding\": 1},"
      + "{\"type\": \"tanh\"}, {\"type\": \"maxpool2d\", \"kernel\": 2}, {\"type\": \"flatten\"},"
      + "{\"type\": \"dense\", \"out\": 3}]}";

  static final String STRIDED = "{\"input\": 84, \"loss\": \"mse\", \"input_shape\": [2, 7, 6], \"layers\": ["
      + "{\"type\": \"conv2d\", \"out_channels\": 3, \"kernel\": 3, \"stride\": 2, \"padding\": 1},"
      + "{\"type\": \"relu\"}, {\"type\": \"conv2d\", \"out_channels\": 2, \"kernel\": 2},"
      + "{\"type\": \"avgpool2d\", \"kernel\": 2, \"stride\": 1}, {\"type\": \"flatten\"},"
      + "{\"type\": \"dense\", \"out\": 4}]}";

  static List<String> describe(Network net) {
    List<String> out = new ArrayList<>();
    for (ParamTensor t : net.tensors().values()) out.add(t.name + java.util.Arrays.toString(t.shape) + "@" + t.offset);
    return out;
  }

  @Test
  void buildsStateDictNamesAndShapes() {
    Network net = ModelFiles.network(ModelSpec.parse(SMALL));
    // conv 6×5 (padding 1 keeps it) → 3×6×5 → maxpool 2 → 3×3×2 → 18 → dense 3
    assertEquals(List.of("0.weight[3, 1, 3, 3]@0", "0.bias[3]@27", "4.weight[3, 18]@30", "4.bias[3]@84"), describe(net));
    assertArrayEquals(new int[] {3, 3, 2}, net.layer(2).outputShape());
    Network strided = ModelFiles.network(ModelSpec.parse(STRIDED));
    // conv s2 p1: floor((7+2−3)/2)+1 = 4, floor((6+2−3)/2)+1 = 3; conv k2: 3×2; avgpool k2 s1: 2×1 → 2·2·1 = 4
    assertArrayEquals(new int[] {3, 4, 3}, strided.layer(0).outputShape());
    assertEquals(List.of("0.weight[3, 2, 3, 3]@0", "0.bias[3]@54", "2.weight[2, 3, 2, 2]@57", "2.bias[2]@81",
        "5.weight[4, 4]@83", "5.bias[4]@99"), describe(strided));
    // PyTorch's defaults: stride 1, padding 0 for conv; pool stride = kernel
    Conv2d c = (Conv2d) strided.layer(2);
    assertEquals(1, c.stride());
    assertEquals(0, c.padding());
    assertEquals(2, ((org.hesse.nn.MaxPool2d) net.layer(2)).stride());
  }

  @Test
  void descriptionRoundTripsToTheSameNetwork() {
    for (String json : List.of(SMALL, STRIDED)) {
      Network net = ModelFiles.network(ModelSpec.parse(json));
      ModelSpec spec = ModelFiles.spec(net);
      String text = spec.toJson();
      Network again = ModelFiles.network(ModelSpec.parse(text));
      assertEquals(describe(net), describe(again));
      for (int k = 0; k < net.depth(); k++) {
        assertEquals(net.layer(k).describe(), again.layer(k).describe());
        assertArrayEquals(net.layer(k).outputShape(), again.layer(k).outputShape());
      }
      assertEquals(spec, ModelFiles.spec(again));
      // and the weights through safetensors names
      double[] theta = Nets.gaussian(net.paramCount(), 1.0, 3);
      assertArrayEquals(theta, ModelFiles.parameters(again, ModelFiles.tensors(net, theta)), 0.0);
    }
    String text = ModelFiles.spec(ModelFiles.network(ModelSpec.parse(SMALL))).toJson();
    assertTrue(text.contains("\"input_shape\""), text);
  }

  @Test
  void missingFieldsAndShapesAreNamed() {
    String noKernel = SMALL.replace("\"kernel\": 3, ", "");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.network(ModelSpec.parse(noKernel)));
    assertTrue(e.getMessage().contains("layer 0 (conv2d)") && e.getMessage().contains("'kernel' is required"), e.getMessage());
    String noShape = SMALL.replace("\"input_shape\": [1, 6, 5], ", "");
    e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.network(ModelSpec.parse(noShape)));
    assertTrue(e.getMessage().contains("input_shape"), e.getMessage());
    String noPoolKernel = SMALL.replace("{\"type\": \"maxpool2d\", \"kernel\": 2}", "{\"type\": \"maxpool2d\"}");
    e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.network(ModelSpec.parse(noPoolKernel)));
    assertTrue(e.getMessage().contains("layer 2 (maxpool2d)"), e.getMessage());
    Map<String, Object> d = ModelFiles.network(ModelSpec.parse(SMALL)).layer(2).describe();
    assertEquals(Map.of("type", "maxpool2d", "kernel", 2, "stride", 2), d);
  }
}
