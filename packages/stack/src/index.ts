export { createStack, type BriskStack, type StackOptions } from './stack.js'
export { createFrontStack, type FrontRoute, type FrontStackOptions } from './front-stack.js'
