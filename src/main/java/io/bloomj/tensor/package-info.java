/**
 * Leaf types shared by loading ({@code model}) and running ({@code compute}): element types,
 * read-only host tensors (usually zero-copy views of a memory-mapped checkpoint) and progress
 * reporting. Imports nothing of bloomj, so neither side depends on the other through them.
 */
package io.bloomj.tensor;
