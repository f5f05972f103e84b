/** The {@code bloomj} command line (picocli): one class per command, shared options in {@link io.bloomj.cli.ModelOptions}. */
package io.bloomj.cli;
