/**
 * bloomj: BLOOM-family language models on CPUs and GPUs from the JVM.
 *
 * <p>This package holds the error hierarchy shared by every layer; {@link io.bloomj.api} is where
 * users start.
 */
package io.bloomj;
