export { createStack, type BriskStack, type StackOptions } from './stack.js'
