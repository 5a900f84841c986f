// The benchmark matrix as the report, the comment and the `only` input see it: derived from the registry, where
// each benchmark object carries its own id, category and title.
import type { Category } from '../results/schema.js'
import { ALL_BENCHMARKS } from './registry.js'

export interface CatalogEntry {
  id: string
  category: Category
  title: string
}

export const CATALOG: readonly CatalogEntry[] = ALL_BENCHMARKS.map(({ id, category, title }) => ({
  id,
  category,
  title
}))

export const BENCHMARK_IDS: readonly string[] = CATALOG.map(e => e.id)

/** Report order of the categories (a test checks every benchmark's category is one of them). */
export const CATEGORIES: readonly Category[] = [
  'creation',
  'scalability',
  'trading',
  'communication',
  'resources',
  'costs'
]
