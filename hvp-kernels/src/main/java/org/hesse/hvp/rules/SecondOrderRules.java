package org.hesse.hvp.rules;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.AvgPool2d;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Conv2d;
import org.hesse.nn.Dense;
import org.hesse.nn.Dropout;
import org.hesse.nn.Flatten;
import org.hesse.nn.LayerNorm;
import org.hesse.nn.Layer;
import org.hesse.nn.MaxPool2d;
import org.hesse.nn.Residual;

/** The registry from layer type to its second-order rule: adding a layer type is one entry here. */
public final class SecondOrderRules {
  private static final Map<Class<? extends Layer>, SecondOrderRule> RULES = new ConcurrentHashMap<>();

  static {
    register(Dense.class, new DenseSecondOrder());
    register(ActivationLayer.class, new ActivationSecondOrder());
    register(Conv2d.class, new Conv2dSecondOrder());
    register(MaxPool2d.class, new MaxPool2dSecondOrder());
    register(AvgPool2d.class, new AvgPool2dSecondOrder());
    register(Flatten.class, new FlattenSecondOrder());
    register(Residual.class, new ResidualSecondOrder());
    register(BatchNorm.class, new BatchNormSecondOrder());
    register(LayerNorm.class, new LayerNormSecondOrder());
    register(Dropout.class, new DropoutSecondOrder());
  }

  private SecondOrderRules() {}

  public static void register(Class<? extends Layer> type, SecondOrderRule rule) {
    RULES.put(type, rule);
  }

  public static SecondOrderRule of(Layer layer) {
    SecondOrderRule r = RULES.get(layer.getClass());
    if (r == null) {
      throw new IllegalArgumentException("layer type '" + layer.type() + "' (" + layer.getClass().getName()
          + ") has no second-order rule; known: " + RULES.keySet());
    }
    return r;
  }
}
