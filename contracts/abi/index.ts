// The contracts as TypeScript sees them: ABIs typed `as const` for viem, and
// creation bytecode for deploying from TypeScript. Regenerate with `npm run build:contracts`.
export {
  allotMarketAbi,
  allotMarketBytecode,
  allotMarketFactoryAbi,
  allotMarketFactoryBytecode,
  mockERC20Abi,
  mockERC20Bytecode,
  mockPriceFeedAbi,
  mockPriceFeedBytecode,
} from './generated.ts'
