/** Reads archives through the decode stage's reader and prints what it said, one line per item. */
import { openArchive, type ArchiveItem } from '../../src/pipeline/decode/reader.js'

export async function collect(inputs: string[], opts: Parameters<Awaited<ReturnType<typeof openArchive>>['items']>[0] = {}): Promise<ArchiveItem[]> {
  const archive = await openArchive(inputs)
  const items: ArchiveItem[] = []
  for await (const item of archive.items(opts)) items.push(item)
  return items
}

/** What the reader said, without the end-of-file markers (see 'marks the end of every file'). */
export const summary = (items: ArchiveItem[]) =>
  items
    .filter((i) => i.kind !== 'end')
    .map((i) =>
      i.kind === 'message'
        ? `message ${i.ref.file.split('/').pop()}:${i.ref.line} ${i.message.messageId}`
        : i.kind === 'rejected'
          ? `rejected ${i.ref.file.split('/').pop()}:${i.ref.line} ${i.category}`
          : i.kind === 'file'
            ? `file ${i.file.split('/').pop()} ${i.format}`
            : i.kind === 'skipped'
              ? `skipped ${i.path.split('/').pop()}: ${i.reason}`
              : i.kind === 'unreadable'
                ? `unreadable ${i.file.split('/').pop()}: ${i.reason}`
                : 'end',
    )
