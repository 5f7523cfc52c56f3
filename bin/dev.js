#!/usr/bin/env -S node --import tsx
import { main } from './main.js'

await main({ dir: import.meta.url, development: true })
