/** Names for the generated schema's shapes (src/lib/api/schema.d.ts is generated: `npm run gen:api`). */
import type { components } from './schema';

type Schemas = components['schemas'];

export type ProjectPublic = Schemas['ProjectPublic'];
export type LabelPublic = Schemas['LabelPublic'];
export type MediaPublic = Schemas['MediaPublic'];
export type ObjectPublic = Schemas['ObjectPublic'];
export type PromptCreate = Schemas['PromptCreate'];
/** Omit over each member of a union (a point or a box), where plain Omit keeps only shared keys. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type PromptPublic = Schemas['PromptPublic'];
export type PromptResult = Schemas['PromptResult'];
export type AnnotationPublic = Schemas['AnnotationPublic'];
export type JobPublic = Schemas['JobPublic'];
export type PropagateRequest = Schemas['PropagateRequest'];
export type AutoAnnotateRequest = Schemas['AutoAnnotateRequest'];
export type ConceptRequest = Schemas['ConceptRequest'];
export type ConceptResult = Schemas['ConceptResult'];
export type Detectors = Schemas['Detectors'];
export type ModelInfo = Schemas['ModelPublic'];
export type MediaKind = Schemas['MediaType'];
export type JobStatus = Schemas['JobStatus'];
export type AnnotationIn = Schemas['AnnotationIn'];
export type ObjectFrames = Schemas['ObjectFrames'];
export type ImportSummary = Schemas['ImportSummary'];
export type ExportFormat = Schemas['ExportFormat'];
export type ImportFormat = Schemas['ImportFormat'];
export type ReviewQueue = Schemas['ReviewQueue'];
export type ProjectReviewQueue = Schemas['ProjectReviewQueue'];
export type ReviewFrame = Schemas['ReviewFrame'];
export type LabelStructure = Schemas['LabelStructure'];
export type StructureTemplate = Schemas['StructureTemplate'];
export type ObjectKeypoints = Schemas['ObjectKeypoints'];
export type PointIn = Schemas['PointIn'];
/** One Server-Sent Event's payload, as the backend's OpenAPI document types it (a union on `type`). */
export type StudioEventPayload =
	| Schemas['MediaReady']
	| Schemas['MediaDeleted']
	| Schemas['AnnotationsUpdated']
	| Schemas['ObjectsUpdated']
	| Schemas['JobProgress']
	| Schemas['JobFinished']
	| Schemas['Resync'];
