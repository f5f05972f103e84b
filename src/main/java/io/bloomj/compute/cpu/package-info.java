/**
 * The pure-Java CPU backend: one small kernel class per op family (Vector API with scalar tails)
 * and a fixed thread team. It supports every op and dtype and is the default where no GPU exists.
 */
package io.bloomj.compute.cpu;
