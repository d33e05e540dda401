import { concat, encodeAbiParameters, type Hex, keccak256, toHex } from 'viem'

// A from-the-spec EIP-712 encoder (https://eips.ethereum.org/EIPS/eip-712),
// sharing no code with viem's, so tests can show that the documented type
// strings and encoding rules are what `protocol/` signs.

type Field = { name: string; type: string }
type Types = Record<string, readonly Field[]>

export function encodeType(primary: string, types: Types): string {
  const deps = new Set<string>()
  const visit = (name: string) => {
    for (const field of types[name] ?? []) {
      const base = field.type.replace(/\[\]$/, '')
      if (types[base] && !deps.has(base) && base !== primary) {
        deps.add(base)
        visit(base)
      }
    }
  }
  visit(primary)
  const format = (name: string) => `${name}(${types[name]!.map((f) => `${f.type} ${f.name}`).join(',')})`
  return [primary, ...[...deps].sort()].map(format).join('')
}

function encodeValue(type: string, value: unknown, types: Types): Hex {
  if (type.endsWith('[]')) {
    const inner = type.slice(0, -2)
    return keccak256(concat((value as unknown[]).map((item) => encodeValue(inner, item, types))))
  }
  if (types[type]) return hashStruct(type, value as Record<string, unknown>, types)
  if (type === 'string') return keccak256(toHex(value as string))
  if (type === 'bytes') return keccak256(value as Hex)
  return encodeAbiParameters([{ type }], [typeof value === 'number' ? BigInt(value) : value])
}

export function hashStruct(primary: string, value: Record<string, unknown>, types: Types): Hex {
  const typeHash = keccak256(toHex(encodeType(primary, types)))
  return keccak256(concat([typeHash, ...types[primary]!.map((f) => encodeValue(f.type, value[f.name], types))]))
}

export function digest(domain: Record<string, unknown>, primary: string, message: Record<string, unknown>, types: Types): Hex {
  const domainTypes = {
    EIP712Domain: [
      { name: 'name', type: 'string' },
      { name: 'version', type: 'string' },
      { name: 'chainId', type: 'uint256' },
      { name: 'verifyingContract', type: 'address' },
    ],
  }
  return keccak256(concat(['0x1901', hashStruct('EIP712Domain', domain, domainTypes), hashStruct(primary, message, types)]))
}
