import { getMetadataStorage } from 'class-validator';

type MetadataStorage = ReturnType<typeof getMetadataStorage>;
type Lookup = MetadataStorage['getTargetValidationMetadatas'];

let installed = false;

/**
 * class-validator finds a class's constraints anew on every validation of every nested object: it
 * filters the constraints of every class ever decorated (an `instanceof` per DTO class of the process)
 * to collect inherited ones. That lookup was a quarter of an RPC handler's CPU. Constraints are
 * registered when decorators run, at module load; the answers are remembered per class and options,
 * and forgotten whenever a constraint is added, so a class decorated later is still seen whole.
 * Idempotent; call once at start.
 */
export function cacheValidationMetadata(storage: MetadataStorage = getMetadataStorage()): void {
  if (installed) return;
  installed = true;
  const answers = new Map<unknown, Map<string, ReturnType<Lookup>>>();
  const lookup: Lookup = storage.getTargetValidationMetadatas.bind(storage);
  const add = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata) => {
    answers.clear();
    add(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const options = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0001') ?? ''}`;
    let byOptions = answers.get(target);
    if (!byOptions) answers.set(target, (byOptions = new Map()));
    let answer = byOptions.get(options);
    if (!answer) {
      answer = lookup(target, schema, always, strictGroups, groups);
      byOptions.set(options, answer);
    }
    return answer;
  };
}
