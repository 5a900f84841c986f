// Number formatting shared by the renderers: readable, never "NaN" or "undefined".
import type { Category } from '../results/schema.js'

const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')

/** 3–4 significant figures, thousands grouped; `—` for missing or non-finite. */
export function fmtNum(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—'
  const abs = Math.abs(value)
  if (abs === 0) return '0'
  if (abs >= 1e15) return value.toExponential(3)
  if (abs >= 1000) return (value < 0 ? '-' : '') + group(String(Math.round(abs)))
  // Trailing zeros dropped: 50, not 50.00; 12.3, not 12.30.
  if (abs >= 100) return String(Number(value.toFixed(1)))
  if (abs >= 1) return String(Number(value.toFixed(2)))
  if (abs >= 1e-6) return String(Number(value.toPrecision(3)))
  return value.toExponential(2)
}

/** A value with its unit (`12.3 ms`), or `—`. */
export function fmtValue(value: number | undefined | null, unit: string): string {
  const n = fmtNum(value)
  return n === '—' || !unit ? n : `${n} ${unit}`
}

/** Signed percent with one decimal. */
export function fmtPct(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—'
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}%`
}

/** US dollars: cents for larger sums, enough decimals to show three significant digits of small ones. */
export function fmtUsd(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—'
  const abs = Math.abs(value)
  if (abs === 0) return '$0'
  if (abs >= 1000) return `${value < 0 ? '-' : ''}$${group(abs.toFixed(0))}`
  if (abs >= 0.01) return `${value < 0 ? '-' : ''}$${abs.toFixed(2)}`
  const decimals = Math.min(12, Math.ceil(-Math.log10(abs)) + 2)
  return `${value < 0 ? '-' : ''}$${abs.toFixed(decimals).replace(/0+$/, '').replace(/\.$/, '')}`
}

/** Milliseconds as a human duration. */
export function fmtDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 120) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 120) return `${m} min ${Math.round(s - m * 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** p-values: three decimals, scientific below 0.001. */
export function fmtP(p: number | undefined | null): string {
  if (p === undefined || p === null || !Number.isFinite(p)) return '—'
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3)
}

/** A plain decimal Mermaid can parse (no exponent), 6 significant figures. */
export function mermaidNumber(value: number): string {
  if (!Number.isFinite(value) || value === 0) return '0'
  const digits = Math.min(20, Math.max(0, 5 - Math.floor(Math.log10(Math.abs(value)))))
  const fixed = value.toFixed(digits)
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed
}

/** A benchmark category as a section title. */
export const CATEGORY_TITLES: Record<Category, string> = {
  creation: 'Swarm creation',
  scalability: 'Scalability',
  trading: 'Trading operations',
  communication: 'Communication',
  resources: 'Resources',
  costs: 'Costs'
}
