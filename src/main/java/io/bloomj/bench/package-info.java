/**
 * Measurement: the memory-bandwidth probe that gives decode its roofline, and llama-bench style
 * prefill / decode throughput tests behind {@code bloomj bench}.
 */
package io.bloomj.bench;
