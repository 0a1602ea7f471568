package org.hesse.hvp.rules;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import org.hesse.nn.Layer;

/**
 * The registry from op class to its second-order rule. Rules are found with {@link ServiceLoader}: a type's rule is
 * listed in {@code META-INF/services/org.hesse.hvp.rules.SecondOrderRule} of its module (or of a test's resources),
 * so adding a layer type touches no file here (its description builder is found the same way: {@link org.hesse.nn.LayerTypes});
 * {@link #register} adds one at run time.
 */
public final class SecondOrderRules {
  private static final Map<Class<? extends Layer>, SecondOrderRule> RULES = new ConcurrentHashMap<>();

  static {
    for (SecondOrderRule r : ServiceLoader.load(SecondOrderRule.class, SecondOrderRules.class.getClassLoader())) {
      RULES.put(r.layerType(), r);
    }
  }

  private SecondOrderRules() {}

  public static void register(SecondOrderRule rule) {
    RULES.put(rule.layerType(), rule);
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
